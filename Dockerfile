# One image for every service of the platform; the command picks the service:
#   gateway:   node --import tsx gateway/src/main.ts
#   registry:  node --import tsx subgraphs/registry/src/main.ts
#   metrics:   node --import tsx subgraphs/metrics/src/main.ts
#   artifacts: node --import tsx subgraphs/artifacts/src/main.ts
FROM node:22-bookworm-slim
WORKDIR /app
COPY . .
# All dependencies: the services run their TypeScript through tsx. The project's
# own postinstall (scripts/postinstall.mjs) generates the Prisma client.
RUN npm ci --no-audit --no-fund && mkdir -p /data && chown node:node /data
ENV NODE_ENV=production LAB_HOST=0.0.0.0 LAB_DATA_DIR=/data
USER node
EXPOSE 4000
CMD ["node", "--import", "tsx", "gateway/src/main.ts"]
