import { runFixtures } from '../fixture-runner.js';

runFixtures('mcp');
