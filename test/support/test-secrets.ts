/** Secrets of the test run only (a deployment has its own): fixed so tests can sign with them. */
export const TEST_SECRETS = {
  JWT_SECRET: 'test-jwt-secret-0123456789abcdef0123456789abcdef',
  ORIGIN_SECRET: 'test-origin-secret-0123456789abcdef0123456789',
  LINK_SECRET: 'test-link-secret-0123456789abcdef0123456789abcd',
} as const
