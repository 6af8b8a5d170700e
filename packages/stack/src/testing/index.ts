/** Test support shared by several packages' tests: a Ceph RGW and a Redis to test against, and signed-chunk uploads. */
export * from './cephRgw';
export * from './countingProxy';
export * from './redisServer';
export * from './signedChunks';
