import { runFixtures } from '../fixture-runner.js';

runFixtures('otel-genai-deprecated');
