from symcollapse.cli import main

raise SystemExit(main())
