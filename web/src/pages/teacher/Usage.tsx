import { useState } from 'react';
import { api } from '../../api/client';
import { hasRole } from '../../api/session';
import type { UsageGroup, UsageReport } from '../../api/types';
import { Loading, Problem } from '../../components/Problem';
import { download } from '../../download';
import { thisMonth, type DayRange } from '../../format';
import { useLoad } from '../../hooks';
import { useT } from '../../i18n/i18n';
import { RangePicker } from '../../usage/RangePicker';
import { usagePath } from '../../usage/query';
import { UsageTable } from '../../usage/UsageTable';

const TITLES = { user: 'usage.byUser', course: 'usage.byCourse', classroom: 'usage.byClassroom' } as const;
const HEADERS = { user: 'usage.user', course: 'usage.course', classroom: 'usage.classroom' } as const;

function UsageSection({ groupBy, range }: { groupBy: UsageGroup; range: DayRange }) {
  const t = useT();
  const report = useLoad((signal) => api<UsageReport>('GET', usagePath('/v1/usage', range, { groupBy }), { signal }), [groupBy, range.from, range.to]);
  const [downloadError, setDownloadError] = useState<unknown>();
  const [saving, setSaving] = useState(false);
  const title = t(TITLES[groupBy]);
  const save = async () => {
    setDownloadError(undefined);
    setSaving(true);
    try {
      await download(usagePath('/v1/usage', range, { groupBy, format: 'csv' }), `usage-${range.from}-${range.to}.csv`);
    } catch (error) {
      setDownloadError(error);
    } finally {
      setSaving(false);
    }
  };
  const id = `usage-${groupBy}`;
  return (
    <section aria-labelledby={id}>
      <h2 id={id}>{title}</h2>
      <p>
        {/* Two such buttons on the page: the name tells them apart, and starts with what is seen (axe's label-content-name-mismatch). */}
        <button type="button" disabled={saving} aria-label={`${t('usage.download')} (${title})`} onClick={() => void save()}>
          {t('usage.download')}
        </button>
      </p>
      <Problem error={downloadError} />
      {report.loading && !report.data && <Loading />}
      <Problem error={report.error} onRetry={report.reload} />
      {report.data && <UsageTable report={report.data} caption={title} nameHeader={t(HEADERS[groupBy])} />}
    </section>
  );
}

/** GPU-hours per person and per course: a teacher's own courses, or (an admin) everyone's. */
export default function Usage() {
  const t = useT();
  const [range, setRange] = useState(() => thisMonth(Date.now()));
  return (
    <section aria-labelledby="usage-title">
      <h1 id="usage-title">{t('usage.title')}</h1>
      <p className="muted">{hasRole('admin') ? t('usage.scopeAdmin') : t('usage.scopeTeacher')}</p>
      <RangePicker range={range} onChange={setRange} />
      <UsageSection groupBy="user" range={range} />
      <UsageSection groupBy="course" range={range} />
      <UsageSection groupBy="classroom" range={range} />
    </section>
  );
}
