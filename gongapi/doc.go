// Package gongapi speaks Gong's public REST API (v2): its JSON types, authentication,
// pacing, retries, error classes and cursor pagination.
//
// It knows nothing of Postgres. Callers that must count requests somewhere durable
// inject a Budget; callers that authenticate some other way than an access key
// inject an Authorizer.
package gongapi
