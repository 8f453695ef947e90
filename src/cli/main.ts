#!/usr/bin/env node
// The entry point sets V8 up before the program's modules are loaded (static imports would all be
// parsed first), then loads the program.
import { keepYoungGenerationSmall } from './young-generation.js';

keepYoungGenerationSmall();
await import('./program.js');
