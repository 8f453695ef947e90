import { api } from '../../api/client';
import type { ClusterNode, Job } from '../../api/types';
import { JobsSection } from '../../components/JobsSection';
import { Loading, Problem } from '../../components/Problem';
import { useLoad } from '../../hooks';
import { useT } from '../../i18n/i18n';
import { ALL_JOBS_PATH } from './routes';

function Nodes() {
  const t = useT();
  const nodes = useLoad((signal) => api<{ nodes: ClusterNode[] }>('GET', '/v1/cluster/nodes', { signal }), []);
  return (
    <section aria-labelledby="nodes-title">
      <h2 id="nodes-title">{t('admin.nodes')}</h2>
      {nodes.loading && !nodes.data && <Loading />}
      <Problem error={nodes.error} onRetry={nodes.reload} />
      {nodes.data && nodes.data.nodes.length === 0 && <p className="empty">{t('admin.noNodes')}</p>}
      <ul className="cards">
        {nodes.data?.nodes.map((node) => (
          <li key={node.name} className="card">
            <strong>{node.name}</strong>
            <span className={`badge ${node.ready ? 'ready' : 'failed'}`}>{node.ready ? t('admin.ready') : t('admin.notReady')}</span>
            <span>
              {node.gpu.used === null || node.gpu.free === null
                ? t('admin.gpusUnknown', { total: node.gpu.total })
                : t('admin.gpus', { used: node.gpu.used, free: node.gpu.free, total: node.gpu.total })}
            </span>
          </li>
        ))}
      </ul>
    </section>
  );
}

const loadAll = async (signal: AbortSignal) => (await api<{ jobs: Job[] }>('GET', ALL_JOBS_PATH, { signal })).jobs;

function AllJobs() {
  const t = useT();
  return (
    <section aria-labelledby="all-jobs-title">
      <h2 id="all-jobs-title">{t('admin.jobs')}</h2>
      <JobsSection load={loadAll} empty={t('admin.noJobs')} showOwner />
    </section>
  );
}

export default function Cluster() {
  const t = useT();
  return (
    <div>
      <h1>{t('admin.title')}</h1>
      <Nodes />
      <AllJobs />
    </div>
  );
}
