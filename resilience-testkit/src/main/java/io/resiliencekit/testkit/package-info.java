/** Test fixtures: a real HTTP API simulator with injected faults. JDK only. */
package io.resiliencekit.testkit;
