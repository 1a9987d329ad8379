// Entry of the board page: boots the board app (static/js/board/) on #board-app.
import { boot } from './board/app.js';

const root = document.getElementById('board-app');
if (root) boot(root);
