// npm postinstall: system packages for tests and model tooling (Debian/Ubuntu with apt only;
// elsewhere scripts/setup-system.sh just says what to install). Never fails the install.
import { spawnSync } from 'node:child_process';

if (process.platform === 'linux') {
  const r = spawnSync('bash', ['scripts/setup-system.sh'], { stdio: 'inherit' });
  if (r.status !== 0)
    console.warn('caption-studio: scripts/setup-system.sh failed; the tests need its packages');
} else {
  console.log('caption-studio: system packages for the tests: see scripts/setup-system.sh');
}
