/** JMH benchmarks of the hot paths, against peers in the same run. */
package io.resiliencekit.benchmarks;
