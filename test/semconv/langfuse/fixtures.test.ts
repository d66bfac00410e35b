import { runFixtures } from '../fixture-runner.js';

runFixtures('langfuse');
