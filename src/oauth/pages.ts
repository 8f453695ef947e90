/** The few HTML pages of sign-in. No scripts; every value is escaped. */

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

/** No framing (clickjacking), no scripts, nothing loaded from elsewhere. */
export const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'",
  'x-frame-options': 'DENY',
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
} as const;

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · classlab</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem}
label{display:block;margin:1rem 0 .25rem}input[type=text],input[type=password]{width:100%;padding:.5rem;font-size:1rem}
button{margin-top:1.5rem;padding:.5rem 1.5rem;font-size:1rem}.error{color:#a00}code,pre{background:#f4f4f4;padding:.2rem;word-break:break-all;white-space:pre-wrap}</style>
</head><body><h1>${escapeHtml(title)}</h1>
${body}
</body></html>`;
}

export interface LoginForm {
  clientId: string;
  /** The authorization request, sent back as hidden fields. */
  params: Readonly<Record<string, string>>;
  csrf: string;
  username?: string;
  error?: string;
}

export function loginPage(form: LoginForm): string {
  const hidden = Object.entries(form.params)
    .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
    .join('\n');
  return page(
    'Sign in',
    `<p>Sign in to classlab to continue to <strong>${escapeHtml(form.clientId)}</strong>.</p>
${form.error ? `<p class="error" role="alert">${escapeHtml(form.error)}</p>` : ''}
<form method="post" action="/oauth/authorize">
${hidden}
<input type="hidden" name="csrf" value="${escapeHtml(form.csrf)}">
<label for="username">User name</label>
<input type="text" id="username" name="username" autocomplete="username" required value="${escapeHtml(form.username ?? '')}">
<label for="password">Password</label>
<input type="password" id="password" name="password" autocomplete="current-password" required>
<button type="submit">Sign in</button>
</form>`,
  );
}

export function errorPage(title: string, message: string): string {
  return page(title, `<p class="error">${escapeHtml(message)}</p>`);
}

export function signedInPage(apiUrl: string, token: string, refreshToken: string): string {
  return page(
    'Signed in',
    `<p>Your access token for the classlab API:</p>
<pre id="token">${escapeHtml(token)}</pre>
<p>Use it as <code>Authorization: Bearer …</code>, for example:</p>
<pre>curl -X POST -H "Authorization: Bearer ${escapeHtml(token)}" -d '{}' ${escapeHtml(apiUrl)}/v1/course/list</pre>
${refreshToken ? `<p>When it expires, get a new one with this refresh token (it works once):</p>
<pre id="refresh_token">${escapeHtml(refreshToken)}</pre>
<pre>curl -X POST -d '{"refresh_token":"${escapeHtml(refreshToken)}"}' ${escapeHtml(apiUrl)}/v1/proxy/refresh</pre>` : ''}`,
  );
}
