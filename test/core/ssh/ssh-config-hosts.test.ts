import { strict as assert } from 'node:assert';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { SshConfig } from '../../../src/core/ssh/ssh-config';
import { tempDir } from './fixtures';

describe('SshConfig.hostAliases', () => {
  it('lists concrete Host aliases in file order, following Include (also inside Host blocks), without patterns or duplicates', async () => {
    const home = await tempDir('ocm-hosts-');
    await mkdir(join(home, '.ssh', 'conf.d'), { recursive: true });
    await writeFile(
      join(home, '.ssh', 'config'),
      [
        'Include conf.d/*',
        'Host gw-1 gw-2',
        '  HostName 10.0.0.1',
        'Host *.example.com !bad',
        '  User x',
        'Host gw-1',
        '  Port 2222',
        'Match host lab',
        '  User lab',
        'Host jump',
        '  Include extra',
      ].join('\n'),
    );
    await writeFile(join(home, '.ssh', 'conf.d', 'a'), 'Host from-include\n  HostName inc.example.net\nHost ?oo\n');
    await writeFile(join(home, '.ssh', 'extra'), 'Host nested\n  User n\n');
    const config = await SshConfig.load({ home, systemConfigPath: null });
    assert.deepEqual(config.hostAliases(), ['from-include', 'gw-1', 'gw-2', 'jump', 'nested']);
    assert.equal(config.compute('from-include').hostname, 'inc.example.net');
  });

  it('is empty without a config file', async () => {
    const home = await tempDir('ocm-hosts-');
    assert.deepEqual((await SshConfig.load({ home, systemConfigPath: null })).hostAliases(), []);
  });
});
