#!/usr/bin/env node
// The `lossforge` command: runs the built CLI (npm ci builds dist/ through the prepare script).
import '../dist/cli/main.js';
