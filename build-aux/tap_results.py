# tap_results.py: the report of the check scripts in build-aux/, in TAP:
# one line a check, and the detail of each failed one as diagnostics.

class TapResults:
    def __init__(self):
        self._results = []

    def check(self, ok, description, detail=''):
        self._results.append((bool(ok), description, detail))

    def print(self):
        print(f'1..{len(self._results)}')
        for number, (ok, description, detail) in enumerate(self._results, 1):
            if not ok and detail:
                for line in detail.strip().splitlines():
                    print(f'# {line}')
            print(f'{"ok" if ok else "not ok"} {number} - {description}')
