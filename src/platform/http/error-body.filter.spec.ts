import { NotFoundException, ServiceUnavailableException, UnauthorizedException } from '@nestjs/common';
import {
  DeliveryNotFound,
  EventNotFound,
  RepairConflict,
  ReplayNotAllowed,
  UnknownSubscriber,
} from '../bus/repair-errors.js';
import { StoreUnavailableError } from '../inbox/inbox.service.js';
import { errorAnswer } from './error-body.filter.js';

describe('errorAnswer', () => {
  it('keeps a body our code gave exactly (the webhook answers are a contract)', () => {
    expect(errorAnswer(new UnauthorizedException({ error: 'invalid_signature' }))).toEqual({
      status: 401,
      body: { error: 'invalid_signature' },
      headers: {},
    });
  });

  it("turns Nest's own body into the error body", () => {
    expect(errorAnswer(new NotFoundException('Cannot GET /nope')).body).toEqual({
      error: 'not_found',
      message: 'Cannot GET /nope',
    });
  });

  it("turns terminus's readiness failure into not_ready, keeping its details", () => {
    const details = { store: { status: 'down', message: 'disk I/O error' } };
    const answer = errorAnswer(
      new ServiceUnavailableException({ status: 'error', info: {}, error: details, details }),
    );
    expect(answer).toEqual({
      status: 503,
      body: { error: 'not_ready', message: 'store: disk I/O error', details },
      headers: {},
    });
  });

  it.each([
    [new EventNotFound('01E'), 404, 'not_found'],
    [new DeliveryNotFound('01D'), 404, 'not_found'],
    [new UnknownSubscriber('crm.x'), 404, 'unknown_subscriber'],
    [new ReplayNotAllowed('not_subscribed', 'crm.x does not subscribe to lead.new'), 400, 'not_subscribed'],
    [new RepairConflict('not_retryable', 'delivery 01D is succeeded'), 409, 'not_retryable'],
  ])('maps the repair error %p to %i %s', (error, status, code) => {
    expect(errorAnswer(error)).toEqual({
      status,
      body: { error: code, message: error.message },
      headers: {},
    });
  });

  it('adds a repair error’s details to the body', () => {
    const error = new RepairConflict('not_delivered', 'event 01E is unknown: nothing to deliver', {
      status: 'unknown',
    });
    expect(errorAnswer(error).body).toEqual({
      error: 'not_delivered',
      message: error.message,
      status: 'unknown',
    });
  });

  it('answers 503 with Retry-After when the store cannot answer', () => {
    expect(errorAnswer(new StoreUnavailableError('disk full'))).toMatchObject({
      status: 503,
      body: { error: 'store_unavailable' },
      headers: { 'retry-after': '5' },
    });
  });

  it('says nothing of an unexpected error’s cause', () => {
    expect(errorAnswer(new Error('password=hunter2 in a driver message'))).toEqual({
      status: 500,
      body: { error: 'internal_error', message: 'the service failed; the reason is in its log' },
      headers: {},
    });
  });
});
