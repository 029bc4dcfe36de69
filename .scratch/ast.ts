import { loadModule, parseSync } from "@libpg-query/parser";
(async () => { await loadModule();
for (const q of process.argv.slice(2)) console.log(JSON.stringify(parseSync(q).stmts[0].stmt));
})();
