// Hive Gateway as deployed (README Performance, the Node reference): one process, no GraphiQL,
// no schema polling, warnings and errors only.
import { defineConfig } from '@graphql-hive/gateway';

export const gatewayConfig = defineConfig({
  supergraph: './supergraph.graphql',
  graphiql: false,
  landingPage: false,
  logging: 'warn',
  fork: 1,
  pollingInterval: 0,
  disableWebsockets: true,
});
