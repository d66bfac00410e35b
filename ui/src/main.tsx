import { render } from 'preact';
import { App } from './app.js';
import { applyTheme } from './theme.js';
import './styles.css';

applyTheme();
render(<App />, document.getElementById('app')!);
// The browser tests and the closing note's time to first render read this mark.
performance.mark('lookspan:first-render');
