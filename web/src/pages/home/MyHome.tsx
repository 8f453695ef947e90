import { useT } from '../../i18n/i18n';
import { HomeFolder } from './HomeFolder';
import { MyUsage } from './MyUsage';

/** Anyone's own page: their home folder, and their GPU use this month. */
export default function MyHome({ user }: { user: string }) {
  const t = useT();
  return (
    <div>
      <h1>{t('home.title')}</h1>
      <HomeFolder />
      <MyUsage user={user} />
    </div>
  );
}
