#!/usr/bin/env node
import { main } from '../dist/daemon/main.js';

const code = await main();
if (code >= 0) process.exit(code);
