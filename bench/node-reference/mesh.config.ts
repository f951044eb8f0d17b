// The Node reference's supergraph (README Performance): the three Cardlytics calls of the home
// screen, from openapi.json, as a team would set it up with GraphQL Mesh. The bench composes it
// with CARDLYTICS_URL pointed at the sandbox.
import { defineConfig } from '@graphql-mesh/compose-cli';
import { loadOpenAPISubgraph } from '@omnigraph/openapi';

const endpoint = process.env.CARDLYTICS_URL;
if (!endpoint) {
  throw new Error('CARDLYTICS_URL is not set (the sandbox: http://127.0.0.1:PORT/cardlytics)');
}

export const composeConfig = defineConfig({
  output: 'supergraph.graphql',
  subgraphs: [
    {
      sourceHandler: loadOpenAPISubgraph('Cardlytics', {
        source: './openapi.json',
        endpoint,
        // getAds is a POST that reads: a query, as the home screen asks for it with the others
        selectQueryOrMutationField: [{ fieldName: 'getAds', type: 'query' }],
        // The bench starts each customer's session itself and sends the token and the hashed
        // customer id with every request: forwarded as they are, no check (the favour).
        operationHeaders: {
          Authorization: '{context.headers.authorization}',
          'x-source-customer-id': '{context.headers.x-source-customer-id}',
        },
      }),
    },
  ],
});
