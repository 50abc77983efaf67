/* replay-corpus.c: runs a fuzz target over its seed corpus without libFuzzer
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Builds made with gcc have no libFuzzer, yet the seeds should still be
 * exercised under the sanitizers: this driver feeds every file of the
 * corpus directory to LLVMFuzzerTestOneInput and reports TAP.
 */

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static int
compare_names (const void *a, const void *b)
{
  return strcmp (*(char * const *) a, *(char * const *) b);
}

static int
replay_file (const char *path)
{
  FILE *file = fopen (path, "rb");
  uint8_t *data = NULL;
  long size;

  if (file == NULL)
    return -1;
  if (fseek (file, 0, SEEK_END) != 0 || (size = ftell (file)) < 0 || fseek (file, 0, SEEK_SET) != 0)
    {
      fclose (file);
      return -1;
    }
  /* One extra byte so that an empty file still gets a valid pointer. */
  data = malloc ((size_t) size + 1);
  if (data == NULL || fread (data, 1, (size_t) size, file) != (size_t) size)
    {
      free (data);
      fclose (file);
      return -1;
    }
  fclose (file);

  LLVMFuzzerTestOneInput (data, (size_t) size);
  free (data);
  return 0;
}

int
main (int argc, char **argv)
{
  char **names = NULL;
  size_t n_names = 0;
  struct dirent *entry;
  DIR *dir;
  int failed = 0;

  if (argc != 2 || (dir = opendir (argv[1])) == NULL)
    {
      printf ("Bail out! cannot open corpus directory %s\n", argc > 1 ? argv[1] : "(none)");
      return 1;
    }

  while ((entry = readdir (dir)) != NULL)
    {
      char **grown;

      if (entry->d_name[0] == '.')
        continue;
      grown = realloc (names, (n_names + 1) * sizeof *names);
      if (grown == NULL)
        break;
      names = grown;
      names[n_names++] = strdup (entry->d_name);
    }
  closedir (dir);

  qsort (names, n_names, sizeof *names, compare_names);

  printf ("1..%zu\n", n_names);
  for (size_t i = 0; i < n_names; i++)
    {
      char path[4096];
      int ok;

      snprintf (path, sizeof path, "%s/%s", argv[1], names[i]);
      ok = replay_file (path) == 0;
      failed |= !ok;
      printf ("%s %zu - %s\n", ok ? "ok" : "not ok", i + 1, names[i]);
      free (names[i]);
    }
  free (names);

  return failed;
}
