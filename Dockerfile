# syntax=docker/dockerfile:1
# The nodewright controller image: `docker build -t nodewright .` at the repository root.
# Two stages: the TypeScript is compiled with the dev dependencies; the runtime image gets only
# the compiled JavaScript, the production dependencies and the bundled data, and runs unprivileged.

FROM node:20-slim AS build
WORKDIR /src
# Dependencies first, so a source change does not reinstall them.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.base.json tsconfig.build.json ./
COPY src ./src
# tsconfig.build.json leaves the tests out and writes dist/ (outDir).
RUN npx tsc -p tsconfig.build.json

FROM node:20-slim AS prod-deps
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

FROM node:20-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json ./
COPY --from=prod-deps /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
# The instance-type catalogue, read at runtime relative to dist/ (src/cloudprovider/catalog/ec2-data.ts).
COPY data ./data
# A numeric non-root user (not in /etc/passwd is fine): Kubernetes' runAsNonRoot can only verify
# a numeric USER. The chart runs as the same uid.
USER 65532:65532
EXPOSE 8080 8081
ENTRYPOINT ["node", "dist/cli/main.js", "controller"]
