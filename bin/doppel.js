#!/usr/bin/env node
// The `doppel` CLI. The code is TypeScript; tsx compiles it on the fly, so no build step stands
// between `npm install` and a working command.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./cli.ts');
// Exit explicitly: idle keep-alive sockets to the loopback generator must not hold the process.
process.exit(await main(process.argv.slice(2)));
