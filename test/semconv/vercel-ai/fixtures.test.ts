import { runFixtures } from '../fixture-runner.js';

runFixtures('vercel-ai');
