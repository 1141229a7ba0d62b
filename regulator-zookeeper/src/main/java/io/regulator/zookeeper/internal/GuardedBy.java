package io.regulator.zookeeper.internal;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/** Names the lock that guards a field: read and write it only while holding that lock. */
@Documented
@Retention(RetentionPolicy.SOURCE)
@Target({ElementType.FIELD, ElementType.METHOD})
@interface GuardedBy {
  /** The guarding lock's field name. */
  String value();
}
