/** Runnable example pipelines. */
package io.resiliencekit.examples;
