/** A table's header row: a column per label, then (when named) an actions column for screen readers only. */
export function ColumnHeads({ labels, actions }: { labels: string[]; actions?: string }) {
  return (
    <thead>
      <tr>
        {labels.map((label) => (
          <th key={label} scope="col">
            {label}
          </th>
        ))}
        {actions !== undefined && (
          <th scope="col">
            <span className="visually-hidden">{actions}</span>
          </th>
        )}
      </tr>
    </thead>
  );
}
