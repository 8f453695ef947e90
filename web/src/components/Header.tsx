import { hasRole, signOut } from '../api/session';
import type { User } from '../api/types';
import { LANGUAGES, useI18n, type Language } from '../i18n/i18n';
import { Link, navigate, useLocation } from '../router';

const LANGUAGE_NAMES: Record<Language, string> = { en: 'English', 'zh-TW': '繁體中文' };

export function LanguagePicker() {
  const { language, setLanguage, t } = useI18n();
  return (
    <label className="language">
      <span className="visually-hidden">{t('nav.language')}</span>
      <select value={language} onChange={(event) => setLanguage(event.target.value as Language)}>
        {LANGUAGES.map((each) => (
          <option key={each} value={each} lang={each}>
            {LANGUAGE_NAMES[each]}
          </option>
        ))}
      </select>
    </label>
  );
}

function NavLink({ href, label }: { href: string; label: string }) {
  const { path } = useLocation();
  // `/jobs/…` belongs to My jobs, but `/homes` is not `/home`.
  const current = href === '/' ? path === '/' || path.startsWith('/course/') : path === href || path.startsWith(`${href}/`);
  return (
    <Link href={href} aria-current={current ? 'page' : undefined}>
      {label}
    </Link>
  );
}

export function Header({ user }: { user?: User | undefined }) {
  const { t } = useI18n();
  return (
    <header className="top">
      <a className="skip" href="#main">
        {t('nav.skip')}
      </a>
      <Link href="/" className="brand">
        classlab
      </Link>
      {user && (
        <nav aria-label={t('nav.main')}>
          <NavLink href="/" label={t('nav.courses')} />
          <NavLink href="/jobs" label={t('nav.jobs')} />
          <NavLink href="/home" label={t('nav.home')} />
          <NavLink href="/classrooms" label={hasRole('teacher') || hasRole('admin') ? t('nav.classrooms') : t('nav.myClassrooms')} />
          {(hasRole('teacher') || hasRole('admin')) && <NavLink href="/teach" label={t('nav.teach')} />}
          {(hasRole('teacher') || hasRole('admin')) && <NavLink href="/usage" label={t('nav.usage')} />}
          {hasRole('admin') && <NavLink href="/admin" label={t('nav.admin')} />}
          {hasRole('admin') && <NavLink href="/users" label={t('nav.users')} />}
          {hasRole('admin') && <NavLink href="/homes" label={t('nav.homes')} />}
        </nav>
      )}
      <div className="who">
        <LanguagePicker />
        {user && (
          <>
            <span className="user-name">{user.name}</span>
            <button type="button" onClick={() => void signOut().then(() => navigate('/sign-in', true))}>
              {t('nav.signOut')}
            </button>
          </>
        )}
      </div>
    </header>
  );
}
