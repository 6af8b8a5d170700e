/**
 * The session: who is signed in and the GraphQL client that carries their
 * credential. Signing in checks the credential with `me` before keeping it;
 * signing out forgets it and closes the socket.
 */
import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useState } from 'react';
import { Provider } from 'urql';
import { graphql } from '../gql';
import { clearCredential, loadCredential, saveCredential } from './credential';
import { createLabClient, type LabClient } from './graphqlClient';

export const MeQuery = graphql(`
  query Me {
    me {
      id
      email
      name
      isAdmin
    }
  }
`);

export interface SessionValue {
  client: LabClient | null;
  signIn(token: string): Promise<void>;
  signOut(): void;
}

const SessionContext = createContext<SessionValue | null>(null);

export function useSession(): SessionValue {
  const value = useContext(SessionContext);
  if (!value) throw new Error('useSession outside SessionProvider');
  return value;
}

/** The LabClient of the signed-in session (pages under the sign-in gate only). */
export function useLabClient(): LabClient {
  const { client } = useSession();
  if (!client) throw new Error('not signed in');
  return client;
}

export function SessionProvider({ children }: { children: ReactNode }) {
  const [client, setClient] = useState<LabClient | null>(() => {
    const token = loadCredential();
    return token ? createLabClient(token) : null;
  });
  useEffect(() => () => client?.dispose(), [client]);

  const signIn = useCallback(async (token: string) => {
    const candidate = createLabClient(token.trim());
    const result = await candidate.urql.query(MeQuery, {}, { requestPolicy: 'network-only' }).toPromise();
    if (result.error) {
      candidate.dispose();
      const code = result.error.graphQLErrors[0]?.extensions?.code;
      throw new Error(
        code === 'UNAUTHENTICATED' ? 'This API key or token is not valid.' : result.error.message.replace(/^\[\w+\] /, ''),
      );
    }
    saveCredential(token.trim());
    setClient(candidate);
  }, []);

  const signOut = useCallback(() => {
    clearCredential();
    setClient(null);
  }, []);

  const value = useMemo(() => ({ client, signIn, signOut }), [client, signIn, signOut]);
  return (
    <SessionContext.Provider value={value}>
      {client ? <Provider value={client.urql}>{children}</Provider> : children}
    </SessionContext.Provider>
  );
}
