/**
 * @lab/shared/subgraph: the shell every subgraph runs in (the Apollo subgraph server, its WebSocket subscriptions,
 * the per-request BaseContext) and the SDL pieces subgraphs share. The gateway imports nothing from here.
 */
export * from './baseContext';
export * from './sdl';
export * from './subgraphServer';
export * from './subscriptionServer';
