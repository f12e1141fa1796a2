// Unit tests need no server; integration and chaos tests use the real local stack (make up); compat
// tests run the SQL on current ClickHouse embedded in-process.
const transform = { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }] };

module.exports = {
  // Per-project testTimeout is ignored by jest; integration tests wait on real servers.
  testTimeout: 120000,
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      transform,
      testMatch: ['<rootDir>/test/unit/**/*.test.ts'],
    },
    {
      displayName: 'integration',
      testEnvironment: 'node',
      transform,
      testMatch: ['<rootDir>/test/integration/**/*.test.ts', '<rootDir>/test/e2e/**/*.test.ts'],
    },
    {
      // Current ClickHouse embedded in-process (chdb, installed by infra/local/ensure-chdb.sh).
      displayName: 'compat',
      testEnvironment: 'node',
      transform,
      testMatch: ['<rootDir>/test/compat/**/*.test.ts'],
    },
    {
      // Long crash tests on the real local stack (make test-chaos): processes killed on purpose.
      displayName: 'chaos',
      testEnvironment: 'node',
      transform,
      testMatch: ['<rootDir>/test/chaos/**/*.test.ts'],
    },
  ],
};
