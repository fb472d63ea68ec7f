export * from './result.js';
export * from './normal.js';
export * from './mann-whitney.js';
export * from './rate-sequential.js';
export * from './location-sequential.js';
