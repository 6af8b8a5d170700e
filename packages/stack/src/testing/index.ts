/** Test support shared by several packages' tests: a Ceph RGW to test against, and signed-chunk uploads. */
export * from './cephRgw';
export * from './signedChunks';
