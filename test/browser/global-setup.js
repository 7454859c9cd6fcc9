/* global module, require, __dirname */
/**
 * Runs once before the browser specs: empties test-output/screenshots, so what is there after
 * a run is exactly what that run saw (each spec writes its own file names).
 */
const { mkdirSync, rmSync } = require('node:fs');
const { join } = require('node:path');

module.exports = async function clearScreenshots() {
  const dir = join(__dirname, '..', '..', 'test-output', 'screenshots');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
};
