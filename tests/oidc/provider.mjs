// A real OpenID Connect provider for the single sign-on tests: panva's oidc-provider (certified), with its
// built-in development login and consent pages, over plain HTTP on 127.0.0.1.
//
// Configured by one JSON document in MUSANADA_TEST_OIDC (tests/oidc/conftest.py writes it):
//   port, client_id, client_secret, redirect_uris, post_logout_redirect_uris,
//   accounts: {login: claims}, resources: [resource indicators that get JWT access tokens]
// Prints "ready <issuer>" on stdout once it listens.
import Provider, { errors } from 'oidc-provider';

const config = JSON.parse(process.env.MUSANADA_TEST_OIDC);
const issuer = `http://127.0.0.1:${config.port}`;

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: config.client_id,
      client_secret: config.client_secret,
      redirect_uris: config.redirect_uris,
      post_logout_redirect_uris: config.post_logout_redirect_uris,
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  // PKCE for every client, confidential ones included, as the ministry's provider should ask.
  pkce: { required: () => true },
  scopes: ['openid', 'email', 'profile', 'massar'],
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['given_name', 'family_name', 'name', 'preferred_username'],
    massar: ['massar_unit', 'massar_role'],
  },
  async findAccount(ctx, id) {
    const claims = config.accounts[id];
    if (!claims) return undefined;
    return { accountId: id, claims: async () => ({ ...claims, sub: id }) };
  },
  features: {
    devInteractions: { enabled: true },
    rpInitiatedLogout: { enabled: true },
    resourceIndicators: {
      enabled: true,
      // An access token asked for with a known `resource` is a JWT for that audience (RFC 9068); one asked
      // for without it stays opaque, for the userinfo endpoint.
      defaultResource: (ctx, client, oneOf) => oneOf,
      useGrantedResource: () => true,
      getResourceServerInfo: (ctx, resource) => {
        if (!config.resources.includes(resource)) throw new errors.InvalidTarget();
        return {
          scope: 'openid email profile massar',
          audience: resource,
          accessTokenFormat: 'jwt',
          accessTokenTTL: 600,
        };
      },
    },
  },
  cookies: { keys: ['musanada-test-only-cookie-key'] },
});

const server = provider.listen(config.port, '127.0.0.1', () => {
  console.log(`ready ${issuer}`);
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
