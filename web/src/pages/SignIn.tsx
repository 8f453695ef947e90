import { useT } from '../i18n/i18n';
import { useLocation } from '../router';

/** Sign-in goes through the server (/oauth/app/sign-in); it comes back here only with ?error=. */
export function SignIn({ message }: { message?: string | undefined }) {
  const t = useT();
  const { path, query } = useLocation();
  const error = query.get('error') ?? message;
  const back = path === '/sign-in' ? (query.get('return') ?? '/') : `${path}${window.location.search}`;
  const href = `/oauth/app/sign-in?return=${encodeURIComponent(back.startsWith('/') && !back.startsWith('//') ? back : '/')}`;
  return (
    <section className="sign-in" aria-labelledby="sign-in-title">
      <h1 id="sign-in-title">{t('signIn.title')}</h1>
      <p>{t('signIn.intro')}</p>
      {error && (
        <p className="problem" role="alert">
          {error}
        </p>
      )}
      <a className="button primary" href={href}>
        {t('signIn.button')}
      </a>
    </section>
  );
}
