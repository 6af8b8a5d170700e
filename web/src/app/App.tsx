/**
 * The shell: the sign-in gate, the header (navigation, who is signed in,
 * sign out) and the routed page.
 */

import { Suspense, useState } from 'react';
import { useQuery } from 'urql';
import { Link, Route, Switch } from 'wouter';
import { Loading } from '../components/status';
import { SignInPage } from '../features/auth/SignInPage';
import { preloadDataOf, ROUTES } from './routes';
import { MeQuery, SessionProvider, useSession } from './session';

export function App() {
  return (
    <SessionProvider>
      <Gate />
    </SessionProvider>
  );
}

function Gate() {
  const { client } = useSession();
  if (!client) return <SignInPage />;
  return <Shell />;
}

function Shell() {
  const { client, signOut } = useSession();
  // The opened page's first queries start now, beside its chunk (once per signed-in client).
  useState(() => client && preloadDataOf(window.location.pathname, client));
  const [me] = useQuery({ query: MeQuery });
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="app-header">
        <Link href="/" className="brand">
          Lab Data Platform
        </Link>
        <nav aria-label="Main">
          {ROUTES.filter((route) => route.nav).map((route) => (
            <Link key={route.path} href={route.path}>
              {route.nav}
            </Link>
          ))}
          <a href="/graphql">GraphiQL</a>
        </nav>
        <span className="spacer" />
        {me.data?.me && <span className="who">{me.data.me.email}</span>}
        <button type="button" onClick={signOut}>
          Sign out
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        <Suspense fallback={<Loading />}>
          <Switch>
            {ROUTES.map((route) => (
              <Route key={route.path} path={route.path} component={route.component} />
            ))}
            <Route>
              <h1>Not found</h1>
              <p>
                No page here. <Link href="/">Projects</Link>
              </p>
            </Route>
          </Switch>
        </Suspense>
      </main>
    </>
  );
}
