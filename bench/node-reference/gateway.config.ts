// Hive Gateway as deployed (README Performance, the Node reference): one process, no GraphiQL,
// no schema polling, warnings and errors only.
import http from 'node:http';
import { defineConfig } from '@graphql-hive/gateway';

// Node's default agent keeps idle upstream sockets 5 s, as long as the sandbox (uvicorn) does:
// a socket the sandbox has just closed is then reused, and the call fails with "socket hang up"
// or ECONNRESET (a few in a thousand home screens). Dropping them first is the usual fix.
http.globalAgent = new http.Agent({ keepAlive: true, timeout: 4000 });

export const gatewayConfig = defineConfig({
  supergraph: './supergraph.graphql',
  graphiql: false,
  landingPage: false,
  logging: 'warn',
  fork: 1,
  pollingInterval: 0,
  disableWebsockets: true,
});
