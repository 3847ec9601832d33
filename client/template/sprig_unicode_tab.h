/*
 * sprig_unicode_tab.h - the generated Unicode tables of sprig_unicode_tab.c (Go's unicode
 * package data: case classes, numbers, punctuation and case mapping).
 */
#ifndef VALS_SPRIG_UNICODE_TAB_H
#define VALS_SPRIG_UNICODE_TAB_H

#include <stddef.h>
#include <stdint.h>

#define SPRIG_UPPER_LOWER 0x110000 /* Go's unicode.UpperLower */

extern const uint32_t sprig_upper_tab[][2];
extern const size_t sprig_upper_tab_len;
extern const uint32_t sprig_lower_tab[][2];
extern const size_t sprig_lower_tab_len;
extern const uint32_t sprig_title_tab[][2];
extern const size_t sprig_title_tab_len;
extern const uint32_t sprig_number_tab[][2];
extern const size_t sprig_number_tab_len;
extern const uint32_t sprig_punct_tab[][2];
extern const size_t sprig_punct_tab_len;
extern const int32_t sprig_case_tab[][5];
extern const size_t sprig_case_tab_len;

#endif
