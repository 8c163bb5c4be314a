// npm postinstall, never failing the install:
// 1. system packages for tests and model tooling (Debian/Ubuntu with apt; elsewhere
//    scripts/setup-system.sh only says what to install);
// 2. Electron's binary. package.json's allowScripts denies electron's own install script, whose
//    download from GitHub would fail the whole install where GitHub is out of reach; we run it
//    here instead and carry on without it: `caption-studio serve` needs no Electron.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

if (process.platform === 'linux') {
  const r = spawnSync('bash', ['scripts/setup-system.sh'], { stdio: 'inherit' });
  if (r.status !== 0)
    console.warn('caption-studio: scripts/setup-system.sh failed; the tests need its packages');
} else {
  console.log('caption-studio: system packages for the tests: see scripts/setup-system.sh');
}

if (existsSync('node_modules/electron/install.js') && process.env.CAPTION_STUDIO_SKIP_ELECTRON !== '1') {
  const r = spawnSync(process.execPath, ['node_modules/electron/install.js'], {
    encoding: 'utf8',
    timeout: 600_000,
  });
  if (r.status === 0) console.log('caption-studio: Electron binary installed');
  else {
    const reason = `${r.stderr ?? ''}`.split('\n').find((l) => l.trim()) ?? 'unknown error';
    console.warn(
      `caption-studio: Electron's binary could not be downloaded (${reason.trim()}); the desktop app ` +
        'is unavailable on this machine. Run the studio in a browser with: npx caption-studio serve',
    );
  }
}
