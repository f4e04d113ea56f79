import { mkdirSync } from 'node:fs';
import { artifacts, launch, openPanel, sendResult, showView, startServer } from './harness';
import { fixture } from './fixtures';

(async () => {
  mkdirSync(artifacts, { recursive: true });
  const server = await startServer();
  const browser = await launch();
  const p = await openPanel(browser, server, (process.argv[2] as any) ?? 'light');
  await sendResult(p.page, fixture((process.argv[3] as any) ?? 'rnn'));
  for (const v of ['unrolled', 'heatmap', 'flow', 'decay', 'whh', 'training', 'compare']) {
    await showView(p.page, v);
    await p.page.screenshot({ path: `${artifacts}/smoke-${v}.png`, fullPage: true });
  }
  console.log('errors', p.errors, 'violations', await p.violations(), 'requests', p.requests);
  console.log(await p.posted());
  await browser.close();
  await server.close();
})();
