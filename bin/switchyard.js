#!/usr/bin/env node
// The `switchyard` command: builds dist/ if needed, then runs the CLI.
import { buildIfNeeded } from '../scripts/build-if-needed.mjs';

buildIfNeeded();
await import('../dist/cli.js');
