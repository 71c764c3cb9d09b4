export { checkTestServer, isCI } from './test-server';
