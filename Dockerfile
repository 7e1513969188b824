# syntax=docker/dockerfile:1
# Switchyard image: `docker build -t switchyard .` (compose.yaml builds it for you).
# The image runs the built service (`node dist/main.js`): it never builds at start and holds no
# dev dependency. Node 22 by default; `--build-arg NODE_VERSION=24` for Node 24 (on both the
# service loads better-sqlite3 13: README, "Supported Node.js lines").
ARG NODE_VERSION=22

# Production dependencies, compiled here: better-sqlite3 needs python3, make and g++ when no
# prebuilt binary fits, and those stay out of the runtime image.
FROM node:${NODE_VERSION}-bookworm AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# dist/ from the sources, with the dev dependencies (TypeScript) that only this stage has.
FROM node:${NODE_VERSION}-bookworm AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

FROM node:${NODE_VERSION}-bookworm-slim AS runtime
# A young generation of 2 × 16 MiB (Node 20's default; Node 22 and 24 size it from the
# machine's memory, up to 2 × 64 MiB, which RSS carries for good): README "Sizing".
ENV APP_ENV=production \
    PORT=3000 \
    DATA_DIR=/app/data \
    NODE_OPTIONS=--max-semi-space-size=16
WORKDIR /app
COPY --from=deps --chown=root:root /app/node_modules ./node_modules
COPY --from=build --chown=root:root /app/dist ./dist
COPY --chown=root:root package.json ./
COPY --chown=root:root config ./config
COPY --chown=root:root fixtures ./fixtures
# The code is root's and read-only to the service; only the data folder (the embedded SQLite
# store, when DATABASE_URL is unset) is the service's own.
RUN mkdir -p /app/data && chown node:node /app/data && chmod 0700 /app/data
USER node
VOLUME ["/app/data"]
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health/live').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# The service stops taking work on SIGTERM and exits within server.shutdownTimeoutMs (10 s).
STOPSIGNAL SIGTERM
CMD ["node", "dist/main.js"]
