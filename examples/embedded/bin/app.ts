#!/usr/bin/env node
/** The example's CDK app: `npx cdk synth` / `npx cdk deploy --all` in examples/embedded. */
import { App } from 'aws-cdk-lib';
import { buildApp } from '../lib/app.js';

buildApp(new App());
