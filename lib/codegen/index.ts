export { generateTypeScript, type GenerateTypeScriptOptions } from './generate-typescript.js';
