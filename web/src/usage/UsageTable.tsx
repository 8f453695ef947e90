import type { UsageReport, UsageTotals } from '../api/types';
import { ColumnHeads } from '../components/ColumnHeads';
import { hours } from '../format';
import { useI18n } from '../i18n/i18n';

function Numbers({ row }: { row: UsageTotals }) {
  const { t, language } = useI18n();
  return (
    <>
      <td data-label={t('usage.jobs')}>{row.jobs}</td>
      <td data-label={t('usage.gpuHours')}>{hours(row.gpuHours, language)}</td>
      <td data-label={t('usage.wallHours')}>{hours(row.wallHours, language)}</td>
    </>
  );
}

/** A usage report's rows (a person or a course each) and its total, under a caption. */
export function UsageTable({ report, caption, nameHeader }: { report: UsageReport; caption: string; nameHeader: string }) {
  const { t } = useI18n();
  if (report.rows.length === 0) return <p className="empty">{t('usage.empty')}</p>;
  return (
    <table className="data">
      <caption>{caption}</caption>
      <ColumnHeads labels={[nameHeader, t('usage.jobs'), t('usage.gpuHours'), t('usage.wallHours')]} />
      <tbody>
        {report.rows.map((row) => (
          <tr key={row.key ?? ''}>
            <th scope="row">{row.name ?? t('usage.noClassroom')}</th>
            <Numbers row={row} />
          </tr>
        ))}
      </tbody>
      <tfoot>
        <tr>
          <th scope="row">{t('usage.total')}</th>
          <Numbers row={report.total} />
        </tr>
      </tfoot>
    </table>
  );
}
