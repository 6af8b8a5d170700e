export * from './embedded/postgres';
export * from './embedded/s3';
export * from './lock';
export * from './platform';
export * from './ports';
export * from './service';
