/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * calendar.h - proleptic Gregorian day numbers (H. Hinnant's algorithms),
 * for the monthly time axis and for reading it back.
 */
#ifndef SIM_MODEL_CALENDAR_H
#define SIM_MODEL_CALENDAR_H

/* Days since 1970-01-01 of year y, month m (1-12), day d. */
long calendar_days_from_civil(long y, long m, long d);
/* Year and month (1-12) of day z since 1970-01-01. */
void calendar_civil_from_days(long z, long *y, long *m);

#endif
